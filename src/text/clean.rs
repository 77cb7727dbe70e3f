//! Removing scraped page debris (share widgets, bylines, navigation) from articles.
