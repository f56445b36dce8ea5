// Placeholder so the library has a source until the analysis work lands.
