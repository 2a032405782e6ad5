"""Cross-entropy as a training loss: empirical distributions and the average NLL, maximum likelihood, Fisher
information, conditional models (logistic, softmax, linear-Gaussian regression) and the common losses."""
