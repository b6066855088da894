"""The book's machinery: execute chapter notebooks with provenance, and keep their outputs honest.

Chapters are committed *executed*, so the published pages show real outputs. `python -m charlab.book execute`
runs them with nbclient and stamps each one (scale, device, wall time, date, code version, dataset hashes);
`check-stale` fails when a notebook's code no longer matches the code that produced its outputs.
"""
