"""The teaching views: what each draws (`views`, plain host data, torch-free so the UI imports it before its
first frame), which views apply to a data set, and how each is computed from a model and its prepared data on
the device: the plane (decision boundary, predicted value), fit, confusion, norms, the loss landscape with the
parameters' path, the neurons as pieces and maps; when probes may run during training (`probe_budget`); and
the onset of overfitting read from a metric history.

Imports the shared modules and `data`; knows nothing of the trainer, which calls it.
"""
