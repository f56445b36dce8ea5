// Placeholder so the library has a source until the faults work lands.
