"""The local backend's operation groups, named and shaped like MLClient's."""
