#include <iostream>

int main() {
  std::cout << "knhk: under construction\n";
  return 0;
}
