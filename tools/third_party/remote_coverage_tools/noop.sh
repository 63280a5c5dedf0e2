#!/bin/sh
# Intentionally does nothing; see BUILD.
exit 0
