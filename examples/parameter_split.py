"""Linear layers have too many parameters (seed 002): nn.summary of AlexNet and VGG-19 for ImageNet,
with the parameters split between the convolutions and the linear layers.

    AlexNet: Conv layer params: 2,469,696 (4%)    Linear layer params: 58,631,144 (96%)   Total: 61,100,840
    VGG19:   Conv layer params: 20,024,384 (14%)  Linear layer params: 123,642,856 (86%)  Total: 143,667,240

    python examples/parameter_split.py [--skip-vgg]   (VGG-19's 224×224 forward pass takes a while on a CPU)
"""
import argparse

from minigrad import models, nn


def parameter_split(model, input_shape=(3, 224, 224), print_fn=None):
    """(conv params, linear params, total) from the rows of nn.summary."""
    table = nn.summary(model, input_shape, print_fn=print_fn)
    conv = sum(r.params for r in table.rows if r.type.startswith("Conv"))
    linear = sum(r.params for r in table.rows if r.type == "Linear")
    return conv, linear, table.total_params


def report(name, split):
    conv, linear, total = split
    return (f"{name}: Conv layer params: {conv:,} ({100 * conv / total:.0f}%)\n"
            f"{' ' * len(name)}  Linear layer params: {linear:,} ({100 * linear / total:.0f}%)\n"
            f"{' ' * len(name)}  Total params: {total:,}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-vgg", action="store_true", help="only AlexNet")
    parser.add_argument("--table", action="store_true", help="also print the nn.summary tables")
    args = parser.parse_args(argv)
    show = print if args.table else None
    print(report("AlexNet", parameter_split(models.AlexNet("imagenet").eval(), print_fn=show)))
    if not args.skip_vgg:
        vgg19 = models.VGG19(num_classes=1000, head="imagenet", batch_norm=False).eval()
        print(report("VGG19", parameter_split(vgg19, print_fn=show)))


if __name__ == "__main__":
    main()
