"""MPR: chunked, parallel FFmpeg transcoding for AWS Lambda and the laptop."""

__version__ = "0.1.0"
