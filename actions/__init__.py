"""Thin rasa_sdk actions, one module per feature, loaded by the action server.

They translate between Rasa's trackers and the Rasa-free core in `haven/`: each module may import
only `rasa_sdk` and the core (never `rasa`, nor `haven.rasa_edge`), so the action server starts
without the Rasa server's modules; tests/unit/test_rasa_boundary.py checks it.
"""
