"""The numpy code of chapter 1: min-char-rnn as the gist wrote it (`minchar`), a batched version (`numpy_rnn`),
a float64 gradient check (`gradcheck`) and the post's "hello" example (`hello`). Teaching code: the PyTorch core
never imports it."""
