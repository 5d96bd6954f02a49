fn f() {
    unsafe {}
}