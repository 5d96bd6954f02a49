const S: &str = "a\
b";
fn f() { unsafe {} } // rustgate: allow(RG101) reason
const T: &[u8] = br"\";
const U: &str = " // rustgate: allow(RG101) ";
