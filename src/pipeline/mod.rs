//! Batch processing of article folders: resume, shards, progress and manifests.
