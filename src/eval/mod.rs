//! Scoring: sacreBLEU-exact BLEU and chrF, and alignment precision/recall/F1.

pub mod align_score;
