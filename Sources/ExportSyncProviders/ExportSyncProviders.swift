// The Workiva and WebAdMIT clients live in this module.
