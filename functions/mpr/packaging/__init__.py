"""Making a job's outputs, one module per output kind, each with its own quality checks:
`progressive` (stitched MP4), `segmented` (HLS written by the chunk tasks) and `images`
(thumbnails and sprite tiles taken from the chunk tasks' decodes). `job` holds what they
share."""
