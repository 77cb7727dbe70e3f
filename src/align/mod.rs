//! Sentence alignment: pairing the sentences of an article with those of its translation.
