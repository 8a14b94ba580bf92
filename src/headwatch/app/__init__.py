"""The use cases: a monitor session (live, or a recording whose clock is the video's), analysing
recordings, evaluating a dataset, the executors, and the fan-out of a session's outputs."""
