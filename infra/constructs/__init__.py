"""One construct per capability of the MPR stack."""
