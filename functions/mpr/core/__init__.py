"""Pure domain core: models, presets, chunk planning and ffmpeg argument building.

Nothing here performs I/O, reads the environment or imports an AWS SDK.
"""
