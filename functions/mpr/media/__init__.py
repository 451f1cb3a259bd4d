"""Running ffmpeg and ffprobe: probing, encoding, stitching, packaging, thumbnails and QC.

Knows files and URLs, not S3 or DynamoDB.
"""
