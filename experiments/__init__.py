"""Experiment drivers that run posereid end to end, kept beside the package (not in it):
``demo.py`` (``make demo``), ``ablation.py`` (the models) and ``track_ablation.py`` (multi-camera
tracking). Each is a script (``python experiments/demo.py``) whose functions the tests import;
they find the shipped configs beside themselves."""
