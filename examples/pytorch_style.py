"""The classic PyTorch MNIST example, written as PyTorch users write it, running on tinyconv.

Only the imports differ from a PyTorch program: ``import tinyconv as torch`` and tinyconv's
``data.datasets``/``data.transforms`` for torchvision's ``datasets``/``transforms``. The model
is LeNet-5 (LeCun et al. 1998; ReLU and max pooling, dropout 0.25), trained with Adam and a
learning rate multiplied by ``--gamma`` after each epoch (``StepLR``), on log-softmax outputs
with the negative log-likelihood loss.

    python examples/pytorch_style.py                  # 10 epochs, batch 64
    python examples/pytorch_style.py --epochs 1 --dry-run
    python examples/pytorch_style.py --save-model     # writes mnist_cnn.pt (a tinyconv checkpoint)

Differences from the PyTorch program it follows: Adam instead of Adadelta (tinyconv has no
Adadelta); no ``num_workers`` on the GPU (tinyconv loads in the main process); ``--data``
defaults to tinyconv's data folder instead of ``../data``.
"""
import argparse

import tinyconv as torch
import tinyconv.nn as nn
import tinyconv.nn.functional as F
import tinyconv.optim as optim
from tinyconv.data import datasets, transforms
from tinyconv.optim.lr_scheduler import StepLR


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.dropout = nn.Dropout(0.25)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = self.dropout(F.relu(self.fc1(x)))
        x = self.dropout(F.relu(self.fc2(x)))
        return F.log_softmax(self.fc3(x), dim=1)


def train(args, model, device, train_loader, optimizer, epoch):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print(f"Train Epoch: {epoch} [{batch_idx * len(data)}/{len(train_loader.dataset)} "
                  f"({100.0 * batch_idx / len(train_loader):.0f}%)]\tLoss: {loss.item():.6f}")
            if args.dry_run:
                break


def test(model, device, test_loader):
    model.eval()
    test_loss, correct = 0.0, 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    accuracy = correct / len(test_loader.dataset)
    print(f"\nTest set: Average loss: {test_loss:.4f}, "
          f"Accuracy: {correct}/{len(test_loader.dataset)} ({100.0 * accuracy:.2f}%)\n")
    return accuracy


def load_data(args, transform):
    """The MNIST training and test sets (torchvision's ``datasets.MNIST`` arguments)."""
    return (datasets.MNIST(args.data, train=True, download=True, transform=transform),
            datasets.MNIST(args.data, train=False, transform=transform))


def main(argv=None):
    parser = argparse.ArgumentParser(description="tinyconv MNIST example, PyTorch style")
    parser.add_argument("--batch-size", type=int, default=64, metavar="N")
    parser.add_argument("--test-batch-size", type=int, default=1000, metavar="N")
    parser.add_argument("--epochs", type=int, default=10, metavar="N")
    parser.add_argument("--lr", type=float, default=2e-3, metavar="LR")
    parser.add_argument("--gamma", type=float, default=0.7, metavar="M", help="learning rate step gamma")
    parser.add_argument("--no-cuda", action="store_true", help="train on the CPU even where a GPU is there")
    parser.add_argument("--dry-run", action="store_true", help="one batch per epoch")
    parser.add_argument("--seed", type=int, default=1, metavar="S")
    parser.add_argument("--log-interval", type=int, default=100, metavar="N")
    parser.add_argument("--save-model", action="store_true")
    parser.add_argument("--data", default=None, help="data folder (default: tinyconv's, ~/.cache/tinyconv)")
    args = parser.parse_args(argv)

    use_cuda = not args.no_cuda and torch.cuda.is_available()
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if use_cuda else "cpu")

    train_kwargs = {"batch_size": args.batch_size, "shuffle": True}
    test_kwargs = {"batch_size": args.test_batch_size}
    if use_cuda:
        train_kwargs["pin_memory"] = test_kwargs["pin_memory"] = True

    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    dataset1, dataset2 = load_data(args, transform)
    train_loader = torch.utils.data.DataLoader(dataset1, **train_kwargs)
    test_loader = torch.utils.data.DataLoader(dataset2, **test_kwargs)

    model = Net().to(device)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    accuracy = None
    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch)
        accuracy = test(model, device, test_loader)
        scheduler.step()

    if args.save_model:
        torch.save(model.state_dict(), "mnist_cnn.pt")
    return accuracy


if __name__ == "__main__":
    main()
