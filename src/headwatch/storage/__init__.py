"""What is kept on disk: the history database, its recorder, profiles, record files, safe writes."""
