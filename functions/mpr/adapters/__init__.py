"""Adapters: the ports implemented on S3, DynamoDB, SQLite, a directory, Step Functions, HTTP.

Import the module you need; AWS adapters import boto3, which only the `cloud` extra installs.
"""
