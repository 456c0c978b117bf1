//! `use_progress`: the walkthrough's progress as a view reads it, re-rendered whenever a step is
//! ticked or the reader starts over, in this tab or another.

use yew::prelude::*;

use crate::learn::Progress;
use crate::transport::learn_store;

#[hook]
pub fn use_progress() -> Progress {
    let update = use_force_update();
    use_effect_with((), move |_| {
        let listening = learn_store::subscribe(move || update.force_update());
        move || drop(listening)
    });
    learn_store::progress()
}
