"""The edge between Haven and Rasa: the only code in `haven/` that imports `rasa` or `rasa_sdk`.

It holds every class the YAML files name by dotted path (the NLU components in config.yml, the
tracker store, lock store and NLG in endpoints.yml, the channels in credentials.yml), the action
server's entry (`python -m haven.rasa_edge.action_server`) and Rasa's patches
(`haven.rasa_edge.patches`). Each of these only translates between Rasa's objects and the
Rasa-free core; tests/unit/test_rasa_boundary.py checks that nothing else imports Rasa.

Every adapter calls `haven.rasa_edge.patches.install()` when Rasa builds it, so no patch depends
on which module happened to be imported first. This package's own import is light (no Rasa
import here) so the action server does not load the Rasa server's modules.
"""
