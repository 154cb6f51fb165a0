"""Content packs: what Haven says in each language and where it sends people in each region
(content/), read, rendered and checked (`make check-content`). No Rasa import."""
