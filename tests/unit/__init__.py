"""Unit tests of the pure core and the local storage adapter: no ffmpeg, no network."""
