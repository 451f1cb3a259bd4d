"""Test support shared by several test folders: servers and fixtures."""
