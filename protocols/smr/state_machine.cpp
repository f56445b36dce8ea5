// PLACEHOLDER: the smr helper implements state_machine.hpp here.
