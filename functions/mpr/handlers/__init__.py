"""Thin AWS Lambda entry points: parse the event, build adapters, call one stage, return."""
