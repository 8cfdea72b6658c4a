"""Repository-wide pytest setup: make the collection importable as ansible_collections.tenantdr.asr."""
from tests.support.collection import ensure_collection_path

ensure_collection_path()
