// The suites' seeded generator lives in TacitBytes (synthetic data uses it too); every test
// target that imports this support module keeps seeing it.
@_exported public import TacitBytes
