// Placeholder so the library has a source until the scenarios work lands.
