// Placeholder so the library has a source until the sim work lands.
