"""The Insights tab's views: the plane (boundary or predicted value), fit, confusion matrix, norms, system, the
loss landscape, the neurons as pieces and maps, and Predict; `panel.InsightsPanel` holds them all."""
