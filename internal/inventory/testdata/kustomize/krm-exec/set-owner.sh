#!/bin/sh
# Would mark that it ran; Moat must never run it.
touch "$(dirname "$0")/ran"
