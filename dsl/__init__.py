"""The .flow language: parser, checker, compiler to a versioned JSON IR, and formatter."""
