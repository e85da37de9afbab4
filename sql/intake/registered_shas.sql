SELECT sha256 FROM loader_file
