"""Parameter sweeps, the whole domain in one package: the request and chunk contract
(``contract``, ``grid``), the caps on one request (``caps``; its variables in
``settings``), evaluating a chunk (``evaluate``), its rows (``store``), the chunk as a kind
of queued work (``kind``), submitting and reading a sweep (``service``), views of its
results (``view``; their cells folded with numpy in ``view_cells``) and its derived status
(``status``).

The Flask blueprint (``web.api.sweeps``) and the command-line client
(``scripts.bulk_sweep``) are thin layers over it; the tables are in ``store.models``.
"""
