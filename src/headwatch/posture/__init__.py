"""Pure: a pose becomes a posture sample, a sample a verdict; the personal reference and its judges."""
