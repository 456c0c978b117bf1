fn main() {
    yew::Renderer::<crosstalk::app::App>::new().render();
}
