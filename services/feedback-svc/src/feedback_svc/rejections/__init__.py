"""Vendor payloads that authenticated but could not be mapped, kept raw for operators to see."""
