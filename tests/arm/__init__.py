"""A local Azure Resource Manager endpoint for the Azure modules' tests and demos (see server.py)."""
