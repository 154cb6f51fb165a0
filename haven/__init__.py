"""Haven: the Rasa-free core of the assistant, one subpackage per family, and its edge to Rasa.

- `haven.nlu`: understanding a message (crisis patterns, stated facts, questions, language and
  region, sentence encoders, encoding ahead of Rasa).
- `haven.packs`: what Haven says and where it sends people (content packs, help directory,
  rendering, the checks of `make check-content`).
- `haven.storage`: encrypted, minimized storage (key ring, conversations, schema, storage CLI).
- `haven.handoff`: talking to a person (queue and audit, relay, counselor accounts, console).
- `haven.web`: what the web channels check and serve (input checks, rate limits, widget site,
  security headers).
- `haven.plan`: the step-by-step plan and the answers given on the way.
- `haven.logs`: keeping typed text out of logs, and log lines a flood cannot multiply.
- `haven.settings`: configuration files and the environment.
- `haven.rasa_edge`: the only code that imports `rasa` or `rasa_sdk`
  (tests/unit/test_rasa_boundary.py enforces it): every class the YAML files name, the action
  server, and Rasa's patches.

Everything outside `haven.rasa_edge` is testable without Rasa. The old `bot.*` dotted paths still
import, with a DeprecationWarning (bot/__init__.py).
"""
