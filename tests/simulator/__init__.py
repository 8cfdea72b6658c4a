"""Local vCenter simulator for the tenantdr.asr tests: launcher (vcsim/), controller (vcsim.py), inventories."""
