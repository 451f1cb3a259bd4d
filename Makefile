# Developer targets; CI runs `bash scripts/test.sh` (the same as `make test`).
VENV := .venv/bin
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: demo test dev format lint unit media infra synth bench pr

demo:            ## transcode a real clip end to end on the embedded default
	bash scripts/demo.sh

test:            ## install what the tests need, lint, run the whole suite
	bash scripts/test.sh

dev:             ## install the development environment only
	bash scripts/bootstrap.sh dev

format:
	$(VENV)/ruff format .
	$(VENV)/ruff check --fix .

lint:            ## ruff, formatting, mypy --strict, import contracts
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/mypy
	$(VENV)/lint-imports

unit:            ## pure core, no sockets, no ffmpeg
	$(VENV)/pytest tests/unit -q

media:           ## real ffmpeg on real and synthetic media
	$(VENV)/pytest tests/media -q

infra:           ## cdk synth, cdk-nag, cfn-lint, ASL
	$(VENV)/pytest tests/infra -q

synth:
	PATH=$(CURDIR)/.venv/bin:$$PATH npx cdk synth --quiet

bench:           ## chunked mpr vs plain ffmpeg on the same cores
	$(VENV)/python -m bench.transcode_vs_ffmpeg

pr: lint test
