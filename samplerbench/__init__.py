"""samplerbench: fair, reproducible timing of MCMC sampler backends, compilation included."""

__version__ = "0.1.0"
