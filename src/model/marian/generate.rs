//! Batched greedy and beam search with the semantics of HF `generate()` for MarianMT:
//! decoding starts from `<pad>`, `<pad>` is never generated, `</s>` is forced at each
//! sentence's length limit, `min_new_tokens` and `no_repeat_ngram_size` as in HF's logits
//! processors. Every sentence keeps its own limit, finished sentences leave the batch,
//! and a batch gives the same tokens as each sentence alone.

use super::model::{Encoded, MarianModel};
use super::simd_exp::log_sum_exp;
use candle_core::{CpuStorage, Result, Storage, Tensor};

/// Decoding settings shared by greedy and beam search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecodeOptions {
    /// Beam size; 1 is greedy.
    pub beam: usize,
    /// `</s>` is blocked until this many tokens were generated.
    pub min_new_tokens: usize,
    /// Never repeat an n-gram of this size; 0 disables the guard.
    pub no_repeat_ngram: usize,
    /// Finished beams are scored `log p / length^length_penalty` (HF default 1.0).
    pub length_penalty: f32,
}

/// The special ids decoding needs.
#[derive(Debug, Clone, Copy)]
struct Specials {
    start: u32,
    eos: u32,
    pad: u32,
}

impl Specials {
    fn of(model: &MarianModel) -> Specials {
        let c = model.config();
        Specials {
            start: c.decoder_start(),
            eos: c.eos_token_id,
            pad: c.pad_token_id,
        }
    }
}

/// What HF's logits processors leave one hypothesis to choose from next.
#[derive(Debug, PartialEq)]
enum Allowed {
    /// Only this token (`</s>` at the length limit).
    Only(u32),
    /// Any token but these.
    AllBut(Vec<u32>),
}

/// HF's logits processors for one hypothesis: `seq` is its tokens so far (with the start
/// token), `max_new` its length limit.
fn allowed(seq: &[u32], max_new: usize, sp: Specials, opts: &DecodeOptions) -> Allowed {
    let generated = seq.len() - 1;
    if generated + 1 >= max_new {
        return Allowed::Only(sp.eos);
    }
    let mut banned = vec![sp.pad];
    if generated < opts.min_new_tokens {
        banned.push(sp.eos);
    }
    let n = opts.no_repeat_ngram;
    if n > 0 && seq.len() + 1 >= n {
        let prefix = &seq[seq.len() + 1 - n..];
        banned.extend(
            seq.windows(n)
                .filter(|gram| &gram[..n - 1] == prefix)
                .map(|gram| gram[n - 1]),
        );
    }
    Allowed::AllBut(banned)
}

/// Applies `allowed` to a row of scores: −∞ for what is not allowed, and `forced` for a
/// token that is the only one allowed.
fn constrain(scores: &mut [f32], allowed: &Allowed, forced: f32) {
    match allowed {
        Allowed::Only(token) => {
            scores.fill(f32::NEG_INFINITY);
            if let Some(s) = scores.get_mut(*token as usize) {
                *s = forced;
            }
        }
        Allowed::AllBut(banned) => {
            for &token in banned {
                if let Some(s) = scores.get_mut(token as usize) {
                    *s = f32::NEG_INFINITY;
                }
            }
        }
    }
}

/// The first largest of `scores` among the tokens allowed, read in place.
fn best_allowed(scores: &[f32], allowed: &Allowed) -> u32 {
    match allowed {
        Allowed::Only(token) => *token,
        // The best allowed token is among the best `banned + 1`.
        Allowed::AllBut(banned) => top_k(&[scores], &[0.0], &[0.0], banned.len() + 1)
            .into_iter()
            .map(|c| c.token)
            .find(|t| !banned.contains(t))
            .unwrap_or(0),
    }
}

/// Runs `f` on the f32 values of `logits` (rows × vocab, row-major), read where they lie
/// when they are contiguous on the CPU (a copy otherwise).
fn with_values<R>(logits: &Tensor, f: impl FnOnce(&[f32]) -> R) -> Result<R> {
    {
        let (storage, layout) = logits.storage_and_layout();
        if let (Storage::Cpu(CpuStorage::F32(values)), Some((start, end))) =
            (&*storage, layout.contiguous_offsets())
        {
            return Ok(f(&values[start..end]));
        }
    }
    Ok(f(&logits.flatten_all()?.to_vec1::<f32>()?))
}

/// Translates the encoded batch; `max_new[i]` is sentence i's limit (≥ 1, `</s>` included).
/// Returns each sentence's generated ids, ending in `</s>`.
pub fn generate(
    model: &MarianModel,
    encoded: &Encoded,
    max_new: &[usize],
    opts: &DecodeOptions,
) -> Result<Vec<Vec<u32>>> {
    if opts.beam <= 1 {
        greedy(model, encoded, max_new, opts)
    } else {
        beam_search(model, encoded, max_new, opts)
    }
}

fn greedy(
    model: &MarianModel,
    encoded: &Encoded,
    max_new: &[usize],
    opts: &DecodeOptions,
) -> Result<Vec<Vec<u32>>> {
    let sp = Specials::of(model);
    let mut state = model.start_decoding(encoded)?;
    let mut seqs: Vec<Vec<u32>> = vec![vec![sp.start]; max_new.len()];
    let mut active: Vec<usize> = (0..max_new.len()).collect();
    while !active.is_empty() {
        let tokens: Vec<u32> = active
            .iter()
            .map(|&i| *seqs[i].last().unwrap_or(&sp.start))
            .collect();
        let logits = model.decode_step(&mut state, &tokens)?;
        let vocab = logits.dim(1)?;
        let chosen: Vec<u32> = with_values(&logits, |values| {
            active
                .iter()
                .zip(values.chunks_exact(vocab))
                .map(|(&i, scores)| best_allowed(scores, &allowed(&seqs[i], max_new[i], sp, opts)))
                .collect()
        })?;
        let mut keep_rows = Vec::with_capacity(active.len());
        let mut still = Vec::with_capacity(active.len());
        for (row, (&i, token)) in active.iter().zip(chosen).enumerate() {
            seqs[i].push(token);
            if token != sp.eos && seqs[i].len() - 1 < max_new[i] {
                keep_rows.push(row as u32);
                still.push(i);
            }
        }
        if !still.is_empty() && still.len() < active.len() {
            state.select(&keep_rows, 1)?;
        }
        active = still;
    }
    Ok(seqs.into_iter().map(|s| s[1..].to_vec()).collect())
}

/// A partial translation and its summed log-probability.
#[derive(Debug, Clone)]
struct Hyp {
    tokens: Vec<u32>,
    score: f32,
}

/// One candidate continuation: source beam, token, accumulated score.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    beam: usize,
    token: u32,
    score: f32,
}

/// Beam search state of one sentence, mirroring HF's `_beam_search` tensors.
struct BeamSentence {
    running: Vec<Hyp>,
    /// The `beam` best finished hypotheses; slots not yet filled have `finished == false`.
    finished: Vec<(Hyp, bool)>,
    /// HF's early-stop heuristic: can a running beam still beat the worst finished one?
    improvable: bool,
    max_new: usize,
    done: bool,
}

/// The `k` best candidates over all beams of a sentence, best first, ties to the lower
/// flat index (beam-major), as `torch.topk` over `num_beams · vocab`. Beam `b`'s
/// candidate scores are `(row − log_sums[b]) + beam_scores[b]`: its log-softmax plus its
/// score so far, rounded as HF rounds them, without writing the rows.
fn top_k(rows: &[&[f32]], log_sums: &[f32], beam_scores: &[f32], k: usize) -> Vec<Candidate> {
    /// Scores computed side by side; a chunk whose best cannot enter is skipped whole.
    const CHUNK: usize = 16;
    let mut best: Vec<Candidate> = Vec::with_capacity(k + 1);
    for (beam, row) in rows.iter().enumerate() {
        let (log_sum, beam_score) = (log_sums[beam], beam_scores[beam]);
        for (c, chunk) in row.chunks(CHUNK).enumerate() {
            let mut scores = [f32::NEG_INFINITY; CHUNK];
            for (s, &x) in scores.iter_mut().zip(chunk) {
                *s = (x - log_sum) + beam_score;
            }
            let top = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            if best.len() == k && best.last().is_some_and(|w| top <= w.score) {
                continue;
            }
            for (i, &score) in scores[..chunk.len()].iter().enumerate() {
                if best.len() == k && best.last().is_some_and(|w| score <= w.score) {
                    continue;
                }
                let at = best.partition_point(|c| c.score >= score);
                best.insert(
                    at,
                    Candidate {
                        beam,
                        token: (c * CHUNK + i) as u32,
                        score,
                    },
                );
                best.truncate(k);
            }
        }
    }
    best
}

impl BeamSentence {
    fn new(start: u32, beam: usize, max_new: usize) -> BeamSentence {
        let running = (0..beam)
            .map(|b| Hyp {
                tokens: vec![start],
                score: if b == 0 { 0.0 } else { -1.0e9 },
            })
            .collect();
        let empty = Hyp {
            tokens: Vec::new(),
            score: -1.0e9,
        };
        BeamSentence {
            running,
            finished: vec![(empty, false); beam],
            improvable: true,
            max_new,
            done: false,
        }
    }

    /// One step given this sentence's `beam` rows of logits; returns, for each new running
    /// beam, the row (within this sentence) it continues.
    fn step(&mut self, mut rows: Vec<Vec<f32>>, sp: Specials, opts: &DecodeOptions) -> Vec<usize> {
        let nb = self.running.len();
        let generated = self.running[0].tokens.len() - 1;
        // HF applies the processors to the log-softmax; a forced `</s>` gets log p = 0,
        // which is the raw value `log_sum`.
        let mut log_sums = Vec::with_capacity(nb);
        for (row, hyp) in rows.iter_mut().zip(&self.running) {
            let log_sum = log_sum_exp(row);
            constrain(row, &allowed(&hyp.tokens, self.max_new, sp, opts), log_sum);
            log_sums.push(log_sum);
        }
        let beam_scores: Vec<f32> = self.running.iter().map(|h| h.score).collect();
        let rows: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
        let candidates = top_k(&rows, &log_sums, &beam_scores, 2 * nb);
        let at_limit = generated + 1 >= self.max_new;
        let hits: Vec<bool> = candidates.iter().map(|c| c.token == sp.eos || at_limit).collect();
        let extend = |c: &Candidate| {
            let mut tokens = self.running[c.beam].tokens.clone();
            tokens.push(c.token);
            tokens
        };

        // Finished candidates among the top `nb` join the finished set if good enough.
        let lp = ((generated + 1) as f32).powf(opts.length_penalty);
        let mut merged: Vec<(Hyp, bool)> = std::mem::take(&mut self.finished);
        for (k, (c, &hit)) in candidates.iter().zip(&hits).enumerate() {
            let just_finished = hit && k < nb;
            let mut score = c.score / lp;
            if !self.improvable {
                score += -1.0e9;
            }
            if !just_finished {
                score += -1.0e9;
            }
            merged.push((
                Hyp {
                    tokens: extend(c),
                    score,
                },
                just_finished,
            ));
        }
        merged.sort_by(|a, b| b.0.score.total_cmp(&a.0.score));
        merged.truncate(nb);
        self.finished = merged;

        // The best `nb` candidates that did not finish keep running.
        let mut order: Vec<(usize, f32)> = candidates
            .iter()
            .zip(&hits)
            .enumerate()
            .map(|(k, (c, &hit))| (k, c.score + if hit { -1.0e9 } else { 0.0 }))
            .collect();
        order.sort_by(|a, b| b.1.total_cmp(&a.1));
        let mut sources = Vec::with_capacity(nb);
        let mut running = Vec::with_capacity(nb);
        for &(k, score) in order.iter().take(nb) {
            let c = &candidates[k];
            sources.push(c.beam);
            running.push(Hyp {
                tokens: extend(c),
                score,
            });
        }
        self.running = running;

        let generated = generated + 1;
        let best_running = self.running[0].score / (generated as f32).powf(opts.length_penalty);
        let all_finished = self.finished.iter().all(|(_, f)| *f);
        let worst_finished = self
            .finished
            .iter()
            .map(|(h, _)| h.score)
            .fold(f32::INFINITY, f32::min);
        self.improvable &= !all_finished || best_running > worst_finished;
        self.done = !self.improvable || hits.iter().all(|&h| h);
        sources
    }

    fn best(&self) -> Vec<u32> {
        self.finished
            .first()
            .map(|(h, _)| h.tokens.get(1..).unwrap_or_default().to_vec())
            .unwrap_or_default()
    }
}

fn beam_search(
    model: &MarianModel,
    encoded: &Encoded,
    max_new: &[usize],
    opts: &DecodeOptions,
) -> Result<Vec<Vec<u32>>> {
    let sp = Specials::of(model);
    let nb = opts.beam;
    let mut state = model.start_decoding(encoded)?;
    let mut sentences: Vec<BeamSentence> = max_new
        .iter()
        .map(|&m| BeamSentence::new(sp.start, nb, m))
        .collect();
    let mut active: Vec<usize> = (0..sentences.len()).collect();
    while !active.is_empty() {
        let tokens: Vec<u32> = active
            .iter()
            .flat_map(|&i| {
                sentences[i]
                    .running
                    .iter()
                    .map(|h| *h.tokens.last().unwrap_or(&sp.start))
            })
            .collect();
        let logits = model.decode_step(&mut state, &tokens)?.to_vec2::<f32>()?;
        let mut logits = logits.into_iter();
        let mut rows = Vec::with_capacity(tokens.len());
        let mut still = Vec::with_capacity(active.len());
        for (slot, &i) in active.iter().enumerate() {
            let own: Vec<Vec<f32>> = logits.by_ref().take(nb).collect();
            let sources = sentences[i].step(own, sp, opts);
            if !sentences[i].done {
                rows.extend(sources.iter().map(|&b| (slot * nb + b) as u32));
                still.push(i);
            }
        }
        if !still.is_empty() {
            state.select(&rows, nb)?;
        }
        active = still;
    }
    Ok(sentences.iter().map(BeamSentence::best).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SP: Specials = Specials {
        start: 3,
        eos: 0,
        pad: 3,
    };

    fn opts(no_repeat_ngram: usize, min_new_tokens: usize) -> DecodeOptions {
        DecodeOptions {
            beam: 1,
            min_new_tokens,
            no_repeat_ngram,
            length_penalty: 1.0,
        }
    }

    #[test]
    fn pad_is_never_a_candidate_and_eos_waits_for_min_new_tokens() {
        let allowed = allowed(&[3, 1], 10, SP, &opts(0, 2));
        assert_eq!(allowed, Allowed::AllBut(vec![3, 0]));
        let mut scores = vec![1.0; 4];
        constrain(&mut scores, &allowed, 0.0);
        assert_eq!(scores, vec![f32::NEG_INFINITY, 1.0, 1.0, f32::NEG_INFINITY]);
        // eos and pad score highest, yet the first best allowed token wins.
        assert_eq!(best_allowed(&[9.0, 2.0, 2.0, 9.0], &allowed), 1);
    }

    #[test]
    fn eos_is_forced_on_the_last_allowed_token() {
        let allowed = allowed(&[3, 1, 2], 3, SP, &opts(0, 5));
        assert_eq!(allowed, Allowed::Only(0));
        let mut scores = vec![1.0; 4];
        constrain(&mut scores, &allowed, 0.5);
        assert_eq!(scores[0], 0.5);
        assert!(scores[1..].iter().all(|s| s.is_infinite()));
        assert_eq!(best_allowed(&[0.0, 5.0, 5.0, 5.0], &allowed), 0);
    }

    #[test]
    fn a_seen_trigram_cannot_be_completed_again() {
        // After "… 1 2" the trigram "1 2 1" would repeat, so 1 is banned; "1 2 2" and
        // "1 2 4" are new.
        let allowed = allowed(&[3, 1, 2, 1, 2], 10, SP, &opts(3, 0));
        let mut scores = vec![1.0; 5];
        constrain(&mut scores, &allowed, 0.0);
        assert!(scores[1].is_infinite());
        assert_eq!(scores[2], 1.0);
        assert_eq!(scores[4], 1.0);
        assert_eq!(best_allowed(&[0.0, 7.0, 6.0, 0.0, 6.0], &allowed), 2);
    }

    #[test]
    fn top_k_is_ordered_and_prefers_the_lower_flat_index_on_ties() {
        let rows: [&[f32]; 2] = [&[0.5, 2.0, 1.0], &[2.0, -1.0, 3.0]];
        let got: Vec<(usize, u32)> = top_k(&rows, &[0.0; 2], &[0.0; 2], 3)
            .iter()
            .map(|c| (c.beam, c.token))
            .collect();
        assert_eq!(got, vec![(1, 2), (0, 1), (1, 0)]);
        // Normalised and scored per beam: beam 0's 2.0 becomes (2 − 1) + 5 = 6.
        let got = top_k(&rows, &[1.0, 0.0], &[5.0, 0.0], 2);
        assert_eq!((got[0].beam, got[0].token, got[0].score), (0, 1, 6.0));
        assert_eq!((got[1].beam, got[1].token, got[1].score), (0, 2, 5.0));
    }
}
