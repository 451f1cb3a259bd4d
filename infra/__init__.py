"""The MPR cloud deployment: one CDK stack composed of one construct per capability."""
