"""Tensor operations of the inference path: priors, decoding, boxes and NMS."""
